//! Rebuilds this crate when a migration is added or changed: the migrations
//! are embedded at compile time (`embed_migrations!`), and a new directory
//! is not a source file cargo would otherwise notice.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
