//! POST /api/me/keys

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("create-api-key").await
}
