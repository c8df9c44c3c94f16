# Litmus Live: the backend with the built SPA. Build: docker build -t litmus-live .
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY protocol /src/protocol
COPY frontend /src/frontend
RUN npm run build

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY backend /app/backend
RUN pip install --no-cache-dir /app/backend
COPY examples /app/examples
COPY protocol /app/protocol
COPY --from=frontend /src/frontend/dist /app/frontend/dist
ENV LITMUS_DATA_DIR=/data LITMUS_TESTS=/app/examples LITMUS_STATIC_DIR=/app/frontend/dist \
    LITMUS_PROTOCOL_DIR=/app/protocol
VOLUME /data
EXPOSE 8000
# Inside a container the published port must be reachable: bind all interfaces here only.
CMD ["litmus-live", "serve", "--host", "0.0.0.0", "--port", "8000"]
