//! POST /api/models/run

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("run-model").await
}
