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
# Passive FTPS data connections use a fixed range, so that it can be published
# (docker run -p 30000-30099:30000-30099) and announced with
# CUSTODIA_FTP_PUBLIC_HOST when clients reach the host through NAT.
ENV CUSTODIA_DATA_DIR=/data CUSTODIA_FTP_PASSIVE_PORTS=30000-30099
VOLUME ["/data"]
USER 65532:65532
# 2022 SFTP, 2121 explicit FTPS and its passive range; 8443 WebDAV and 8080
# admin API are for later versions.
EXPOSE 2022 2121 30000-30099 8443 8080
ENTRYPOINT ["/custodia"]
CMD ["serve"]
