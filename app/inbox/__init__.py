from processes.actor import Actor


def actor_for(user) -> Actor:
    return Actor(id=user.id, role=user.role_code, rights=user.right_codes)
