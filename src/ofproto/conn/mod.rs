//! Connection to ovs-vswitchd: a sans-IO session and a thin tokio driver.
