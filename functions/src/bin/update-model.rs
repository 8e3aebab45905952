//! PATCH /api/models/{slug}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("update-model").await
}
