//! Cabin heating and cooling power vs ambient temperature, scaled by vehicle size.
