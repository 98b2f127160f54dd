//! The ovs-ofctl flow text: parse and print flows exactly as ovs-ofctl does.
