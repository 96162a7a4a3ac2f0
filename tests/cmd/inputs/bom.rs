/// A file that starts with a byte-order mark.
async fn create_message(ValidatedJson(data): ValidatedJson<MessageIn>) {}

pub struct MessageIn {
    pub title: String,
}

pub fn router() -> Router {
    Router::new().route("/msg", post(create_message))
}
