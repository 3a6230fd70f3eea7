//! Placeholder, replaced by the real demo.
fn main() {}
