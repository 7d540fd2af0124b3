//! The depot simulation engine and its charging strategies.
