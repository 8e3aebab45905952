//! DELETE /api/me/keys/{key_id}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("revoke-api-key").await
}
