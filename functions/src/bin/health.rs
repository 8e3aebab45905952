//! GET /api/health

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("health").await
}
