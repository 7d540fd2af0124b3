//! twin-store: artifact and run stores (local and AWS). (Built in the storage issue.)
#![forbid(unsafe_code)]
