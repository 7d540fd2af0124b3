#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod battery;
pub mod charge_point;
pub mod charging;
pub mod curve;
pub mod cycle;
pub mod depot;
pub mod energy;
pub mod error;
pub mod geography;
pub mod hvac;
pub mod tariff;
pub mod trip;
pub mod vehicle;
pub mod weather;

pub use error::ModelError;
