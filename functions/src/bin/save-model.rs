//! POST /api/models/save

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("save-model").await
}
