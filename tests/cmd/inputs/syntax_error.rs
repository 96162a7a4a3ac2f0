pub fn router() -> Router {
    Router::new().route("/msg/", post(create_message))
}

async fn create_message(body: Json<u8>) -> u8 {
    let x = ;
    x
}
