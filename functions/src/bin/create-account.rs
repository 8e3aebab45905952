//! POST /api/accounts

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("create-account").await
}
