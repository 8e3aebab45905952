//! GET /api/openapi.json

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("get-openapi").await
}
