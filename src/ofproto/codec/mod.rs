//! The sans-IO OpenFlow codec: bytes ⇄ typed messages.
