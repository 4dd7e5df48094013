//! `yardstick ceiling 127.0.0.1:PORT [DATABASE_URL]` serves the ceiling
//! routes; `yardstick raw-insert DATABASE_URL [COUNT]` prints the raw
//! insert + commit rate per second.

use rectrack_bench::{ceiling, raw_insert};

const USAGE: &str =
    "usage: yardstick ceiling ADDR [DATABASE_URL] | yardstick raw-insert DATABASE_URL [COUNT]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("ceiling") => {
            let addr = args.next().unwrap_or_else(|| "127.0.0.1:8099".to_owned());
            ceiling::serve(addr, args.next()).await
        }
        Some("raw-insert") => {
            let url = args.next().ok_or(USAGE)?;
            let count: u64 = args.next().map_or(Ok(20_000), |c| c.parse())?;
            println!("{:.0}", raw_insert::run(&url, count).await?);
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
