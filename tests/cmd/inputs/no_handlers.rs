// Only a GET route: nothing creates a message here.
async fn list_messages() {}

pub fn router() -> Router {
    Router::new().route("/msg/", get(list_messages))
}
