//! Road-load time-step simulation (FASTSim-style), term by term.
