//! Routes, distances, grade and elevation.
