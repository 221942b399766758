"""moto's server for the moto test layer (test/moto), with ONE documented shim.

moto 5.2.5 raises NotImplementedError (HTTP 500) for CreateImage when its TagSpecifications
include ResourceType "snapshot" (moto/ec2/models/amis.py, create_image). Real EC2 accepts it, and
the AWS driver sends it (image and snapshots tagged with where they came from). The shim passes
the image's tags to moto unchanged and puts the snapshot's tags on the snapshot moto made for the
image with moto's own CreateTags. Nothing else is changed: every other answer is moto's.

Run by test/moto/global-setup.ts as: <venv>/bin/python test/moto/server.py -H 127.0.0.1 -p PORT
"""

import sys

from moto.ec2.models.amis import AmiBackend
from moto.server import main

_create_image = AmiBackend.create_image


def create_image(self, instance_id, name, description, tag_specifications):
    snapshot_specs = [s for s in tag_specifications if s.get("ResourceType") == "snapshot"]
    others = [s for s in tag_specifications if s.get("ResourceType") != "snapshot"]
    ami = _create_image(self, instance_id, name, description, tag_specifications=others)
    for spec in snapshot_specs:
        self.create_tags([ami.ebs_snapshot.id], {t["Key"]: t["Value"] for t in spec.get("Tags", [])})
    return ami


AmiBackend.create_image = create_image

if __name__ == "__main__":
    main(sys.argv[1:])
