//! Time-of-use energy prices and demand charges.
