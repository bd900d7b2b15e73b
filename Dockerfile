# syntax=docker/dockerfile:1

# Build a static binary: modernc.org/sqlite is pure Go, so no cgo is needed.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/liaison ./cmd/liaison \
 && mkdir -p /out/data

# Distroless static: CA certificates and timezone data, no shell, and a
# non-root user (uid 65532). The embedded SQLite default lives in /data.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/liaison /usr/local/bin/liaison
COPY --from=build --chown=65532:65532 /out/data /data
COPY liaison.example.yaml /etc/liaison/liaison.example.yaml
WORKDIR /data
VOLUME ["/data"]
USER 65532:65532
ENV LIAISON_HTTP_ADDR=:8080
EXPOSE 8080
# Exec form: the image has no shell. liaison healthcheck asks /readyz on
# LIAISON_HTTP_ADDR and exits 0 when it answers 200.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/liaison", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/liaison"]
CMD ["run"]
