//! POST /api/models/fork

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("fork-model").await
}
