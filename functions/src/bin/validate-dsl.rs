//! POST /api/validate

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("validate-dsl").await
}
