#[derive(Deserialize)]
pub struct MessageIn {
    pub event_type: String,
}

async fn create_message(ValidatedJson(data): ValidatedJson<MessageIn>) -> Result<JsonStatus<202, MessageIn>> {
    Ok(JsonStatus(data))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
