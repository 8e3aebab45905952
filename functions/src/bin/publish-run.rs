//! POST /api/models/publish

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("publish-run").await
}
