// The Debian base every image of the project builds FROM (the Dockerfiles' FROM line and the
// debootstrapped image made where no registry answers).
export const BASE_IMAGE = 'debian:bookworm-slim';
