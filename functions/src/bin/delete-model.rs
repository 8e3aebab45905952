//! DELETE /api/models/{slug}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("delete-model").await
}
