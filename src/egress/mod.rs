//! The egress domain: pure data and functions, no I/O.
