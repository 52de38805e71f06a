

def test_module_level_version_and_name_are_the_default_backends():
    import kgui.backend as K

    assert K.version == K.default().version and K.name == K.default().name
