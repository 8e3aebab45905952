//! GET /api/me/saves

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("list-saves").await
}
