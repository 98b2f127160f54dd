//! RFC 7047 OVSDB client and typed helpers for the `Open_vSwitch` schema.
