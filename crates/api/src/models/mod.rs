//! Request and response bodies, as the OpenAPI document describes them. Each
//! converts from the core type it shows; requests convert into core drafts,
//! which core validates.

pub mod audit;
pub mod bodies;
pub mod enums;
pub mod imports;
pub mod log;
pub mod resources;
pub mod status;

pub use audit::*;
pub use bodies::*;
pub use enums::*;
pub use imports::*;
pub use log::*;
pub use resources::*;
pub use status::*;
