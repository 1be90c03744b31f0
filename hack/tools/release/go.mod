// Module release builds dirsync's release artifacts that need more than go build and helm package
// (the manager image without Docker, archives, the SBOM, the krew manifest, checksums); hack/release.sh
// runs it. It is a separate module so that go-containerregistry never enters the operator's go.mod.
module github.com/dirsync/dirsync/hack/tools/release

go 1.26.0

require (
	github.com/google/go-containerregistry v0.22.1
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d
)

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
