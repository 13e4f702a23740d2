# Build: a static binary, no cgo (SQLite is modernc.org/sqlite, pure Go).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/custodia ./cmd/custodia \
 && mkdir -p -m 0750 /out/data

# Run: only the binary, as the distroless non-root user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/custodia /custodia
# /data must belong to the non-root user so that a fresh named volume does too.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CUSTODIA_DATA_DIR=/data
VOLUME ["/data"]
USER 65532:65532
# 2022 SFTP; 2121 FTPS, 8443 WebDAV and 8080 admin API are for later versions.
EXPOSE 2022 2121 8443 8080
ENTRYPOINT ["/custodia"]
CMD ["serve"]
