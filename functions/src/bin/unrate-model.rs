//! DELETE /api/models/rate

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("unrate-model").await
}
