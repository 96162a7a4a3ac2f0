async fn create_message() {}
// café
pub fn router() -> Router { Router::new().route("/m", post(create_message)) }
