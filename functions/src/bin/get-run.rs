//! GET /api/runs/{id}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    auster_functions::serve("get-run").await
}
