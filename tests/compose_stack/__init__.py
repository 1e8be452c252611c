"""`make compose-test`: the images built and docker-compose.yml run for real, end to end.

From a bare Debian machine without a container registry: Debian's Docker engine started
privately (own socket, data root and exec root), a debootstrap base image, stand-ins for
the third-party images (deploy/compose-test/stand-ins/), our five images, the whole compose
stack with generated secrets on free ports, checks through the gateway, then everything
torn down. See docs/deployment.md ("What `make compose-test` verifies").
"""
