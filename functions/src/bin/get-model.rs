//! GET /api/models/{slug}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("get-model").await
}
