//! Duty cycles: bundled standard speed traces, explicit traces, and synthesised stop-and-go traces.
