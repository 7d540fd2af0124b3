//! Temperature series (hourly) and lookups.
