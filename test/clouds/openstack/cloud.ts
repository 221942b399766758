/**
 * The clouds.yaml entry the OpenStack request tests sign in with (Keystone at keystone.test, password
 * auth, project `lab` in RegionOne): one fixture for the driver, image-store and console tests.
 */
import type { OpenStackCloud } from "../../../clouds/openstack/actions/keystone.js";

export const TEST_CLOUD: OpenStackCloud = {
  auth: {
    auth_url: "https://keystone.test:5000",
    username: "alice",
    password: "s3cret",
    project_name: "lab",
    user_domain_name: "Default",
    project_domain_name: "Default",
  },
  region_name: "RegionOne",
};
