//! GET /api/me

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("get-me").await
}
