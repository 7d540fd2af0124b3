#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod command;
pub mod error;
pub mod feed;
pub mod report;
mod shape_ops;
pub mod weather;

pub use error::GtfsError;
pub use feed::{load_feed, Feed, ImportOptions, ImportedBlock, ImportedTrip, ServiceDay};
