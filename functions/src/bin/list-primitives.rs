//! GET /api/primitives

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("list-primitives").await
}
