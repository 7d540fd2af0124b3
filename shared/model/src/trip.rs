//! Blocks of trips: energy per trip, SoC timeline, feasibility and charging insertion.
